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
# Exit codes: 0 deployed and verified; otherwise the failing step's code. The gate's codes mean
# different things and are reported differently: 1 the deployment is NOT working (the report
# above names the root causes and fixes), 2 the gate could not run (bad policy or usage), 3 the
# gate itself crashed (a bug in infra_verify: the deployment's state is unknown).
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
case "${status}" in
  0) ;;
  1)
    echo "FAILED: ${ENV_NAME} is deployed but NOT working (gate exit 1); fix the root causes above" >&2
    exit 1 ;;
  2)
    echo "FAILED: the gate could not run (gate exit 2: bad policy or usage, see the error above); ${ENV_NAME} is deployed but NOT verified" >&2
    exit 2 ;;
  3)
    echo "FAILED: the gate itself crashed (gate exit 3: a bug in infra_verify, not in the deployment); ${ENV_NAME} is deployed but NOT verified" >&2
    exit 3 ;;
  *)
    echo "FAILED: the gate ended unexpectedly (gate exit ${status}); ${ENV_NAME} is deployed but NOT verified" >&2
    exit "${status}" ;;
esac
echo "success: ${ENV_NAME} is deployed and verified"
