class Solution:
    def countOfPairs(self, nums: List[int]) -> int:
        count = 0
        while True:
            count += 1
