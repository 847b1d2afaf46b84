"""Policy checks -> their counterparts in a plan: does the Terraform code declare what the live
gate will verify after apply?

One module per check kind (``dns.py`` for ``dns``, ``gcp_load_balancer.py`` for
``gcp.load_balancer``, ...) defines ``expect(check, ctx)``: it reads the check's typed fields and
judges the plan's resources. Values known only after apply that the configuration declares by
reference to the right resource pass, with the reference shown. Resources the check depends on
that the plan destroys or replaces are findings. ``registry.py`` maps each kind to its module.
"""
