"""IaC checks: verify that a Terraform plan declares what the policy expects, before apply.

    from infra_verify.iac.plan import load_plan
    from infra_verify.iac.verify import verify_plan
    run = verify_plan(load_plan("plan.json"), policy, disabled={"IV003": "why"})
    run.exit_code      # 0 ok, 1 findings

The same policy drives the live gate after apply; here each check with a plan counterpart
(``counterparts/``: ``dns``, ``gcp.dns_record``, ``gcp.managed_certificate``,
``gcp.load_balancer``, ``gcp.cloud_run_service``, ``gcp.vpc_connector``,
``gcp.cloud_sql_instance``, ``gcp.cloud_sql_path``) is judged against the plan, and the built-in
rules (``rules/``: IV001 DNS records for certificate domains, IV002 private Cloud SQL reachable,
IV003 connector region) run on every plan.

Modules: ``plan`` reads the JSON plan; ``resources`` is the typed view of its GCP resources;
``findings`` builds observations and results; ``settings`` reads a policy's ``plan:`` section;
``outputs`` turns Terraform outputs into policy variables; ``locate`` finds a resource's
``file:line``; ``verify`` runs it all as one GateRun.
"""
