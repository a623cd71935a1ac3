n, t, a = map(int, input().split())
while True:
    n += 1
