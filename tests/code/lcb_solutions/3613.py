from collections import defaultdict


def best_rates(start, pairs, rates):
    graph = defaultdict(list)
    for (a, b), r in zip(pairs, rates):
        graph[a].append((b, r))
        graph[b].append((a, 1.0 / r))
    best = {start: 1.0}
    stack = [start]
    while stack:
        cur = stack.pop()
        for nxt, r in graph[cur]:
            if nxt not in best:
                best[nxt] = best[cur] * r
                stack.append(nxt)
    return best


class Solution:
    def maxAmount(self, initialCurrency: str, pairs1: List[List[str]], rates1: List[float],
                  pairs2: List[List[str]], rates2: List[float]) -> float:
        day1 = best_rates(initialCurrency, pairs1, rates1)
        answer = 1.0
        for cur, amount in day1.items():
            day2 = best_rates(cur, pairs2, rates2)
            if initialCurrency in day2:
                answer = max(answer, amount * day2[initialCurrency])
        return answer
