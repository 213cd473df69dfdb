"""The training debugger: tensor statistics, framework hooks, rules and findings.

`stats` (numpy) and `torch_stats` (torch) compute the statistics; they import neither the
server stack nor the store, so that a training machine needs only torch and numpy. Nor does
`entities` (findings and rule states, standard library only).

`feature` declares the package at Studio's seam; `orm` and `store` keep findings and rule
states; `service` (`DebuggerService`) also keeps the statistics, as series of their run.
"""
