# Relies on sys.stdin.buffer, which the sandbox's real stdin provides.
import sys
n, t, a = map(int, sys.stdin.buffer.read().split())
remaining = n - t - a
print("Yes" if t > a + remaining or a > t + remaining else "No")
