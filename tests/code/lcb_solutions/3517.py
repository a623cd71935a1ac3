from collections import deque


class Solution:
    def shortestDistanceAfterQueries(self, n: int, queries: List[List[int]]) -> List[int]:
        adj = [[i + 1] for i in range(n - 1)] + [[]]
        answers = []
        for u, v in queries:
            adj[u].append(v)
            dist = [-1] * n
            dist[0] = 0
            queue = deque([0])
            while queue:
                cur = queue.popleft()
                for nxt in adj[cur]:
                    if dist[nxt] < 0:
                        dist[nxt] = dist[cur] + 1
                        queue.append(nxt)
            answers.append(dist[n - 1])
        return answers
