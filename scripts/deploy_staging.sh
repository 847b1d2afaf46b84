#!/usr/bin/env bash
# Deploy, then let the gate decide: print "success" only when every check of the policy passes.
#
#   scripts/deploy_staging.sh [ENVIRONMENT]          # default: staging (policies/staging.yaml)
#
# Environment variables:
#   DEPLOY_CMD         the deploy command (default: gcloud run deploy ... for staging)
#   GATE_WAIT          how long the gate waits for the deployment to converge (default 20m;
#                      empty: one pass, no waiting)
#   INFRA_VERIFY_ARGS  extra arguments for the gate, e.g. --allow-loopback for local fakes
#   PYTHON             the interpreter with infra_verify installed (default python3)
#
# Exit codes: 0 deployed and verified; otherwise the failing step's code (the gate: 1 not
# deployed, 2 bad policy or usage). The gate's report above names the root causes and fixes.
set -euo pipefail

ENV_NAME=${1:-staging}
PYTHON=${PYTHON:-python3}
GATE_WAIT=${GATE_WAIT-20m}
DEPLOY_CMD=${DEPLOY_CMD:-gcloud run deploy netra-backend-${ENV_NAME} --image=${IMAGE:?set IMAGE or DEPLOY_CMD} --region=${GCP_REGION:-us-central1}}

echo "==> deploy: ${DEPLOY_CMD}"
if ! bash -c "${DEPLOY_CMD}"; then
  echo "FAILED: the deploy command failed; the gate was not run" >&2
  exit 1
fi

gate=("${PYTHON}" -m infra_verify "${ENV_NAME}")
if [ -n "${GATE_WAIT}" ]; then
  gate+=(--wait "${GATE_WAIT}")
fi
# shellcheck disable=SC2206  # INFRA_VERIFY_ARGS is a list of words on purpose
gate+=(${INFRA_VERIFY_ARGS:-})

echo "==> verify: ${gate[*]}"
status=0
"${gate[@]}" || status=$?
if [ "${status}" -ne 0 ]; then
  echo "FAILED: ${ENV_NAME} is deployed but NOT working (gate exit ${status}); fix the root causes above" >&2
  exit "${status}"
fi
echo "success: ${ENV_NAME} is deployed and verified"
