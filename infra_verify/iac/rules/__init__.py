"""Built-in plan rules: facts that hold for any plan, policy or not (checkov-style, one per id).

One module per rule, named ``<id>_<name>.py``; its docstring is the rule's user-facing text: a
title line, then why the rule exists and how to fix a finding. ``registry.py`` lists the rules
in order and runs them.

A policy disables a rule with ``plan: {disable: {IV003: "reason"}}``; the rule is then reported
as SKIPPED with that reason.
"""
