class Solution:
    def finalPositionOfSnake(self, n: int, commands: List[str]) -> int:
        moves = {"UP": (-1, 0), "DOWN": (1, 0), "LEFT": (0, -1), "RIGHT": (0, 1)}
        r = c = 0
        for cmd in commands:
            dr, dc = moves[cmd]
            r, c = r + dr, c + dc
        return r * n + c
