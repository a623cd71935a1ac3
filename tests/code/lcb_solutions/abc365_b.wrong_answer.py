# Prints the position of the largest element instead of the second largest.
n = int(input())
a = list(map(int, input().split()))
print(a.index(max(a)) + 1)
