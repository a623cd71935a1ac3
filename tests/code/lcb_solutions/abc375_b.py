# Correct to 1e-6, printed with Python's float repr: the upstream exact
# decimal rule rejects it, the tolerant verdict accepts it.
import math
n = int(input())
x = y = 0
total = 0.0
for _ in range(n):
    a, b = map(int, input().split())
    total += math.hypot(a - x, b - y)
    x, y = a, b
total += math.hypot(x, y)
print(total)
