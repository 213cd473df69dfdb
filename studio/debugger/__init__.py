"""The training debugger: tensor statistics, framework hooks, rules and findings.

`stats` (numpy) and `torch_stats` (torch) compute the statistics; they import neither the
server stack nor the store, so that a training machine needs only torch and numpy.
"""
