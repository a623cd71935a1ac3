# Reads a second line that does not exist.
y = int(input())
extra = input()
print(365)
