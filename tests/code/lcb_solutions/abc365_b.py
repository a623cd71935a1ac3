import sys

def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    a = list(map(int, data[1:1 + n]))
    order = sorted(range(n), key=lambda i: a[i], reverse=True)
    print(order[1] + 1)

main()
