# The infra_verify gate as a container image: a Cloud Build step can be
#   - name: IMAGE
#     args: [staging, --wait, 20m, --junit, reports/gate.xml]
# because the entrypoint is `python -m infra_verify`. Credentials come from the environment it
# runs in (Cloud Build's service account through ADC); no key file is ever baked in.
#
#   docker build -t infra-verify .
#   docker run --rm infra-verify --version
#
# Reproducible: every dependency (and the build backend) comes from requirements.lock, pinned
# with sha256 hashes for CPython 3.11 on linux/amd64 (scripts/lock_requirements.py writes it;
# on another machine build with --platform linux/amd64).

FROM python:3.11-slim AS wheel

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md LICENSE MANIFEST.in ./
COPY infra_verify ./infra_verify
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /dist .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp

COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes --no-deps -r /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=wheel /dist /tmp/dist
RUN pip install --no-deps /tmp/dist/*.whl && rm -rf /tmp/dist

# Never run the gate as root. Numeric, so Kubernetes' runAsNonRoot can verify it (hadolint
# DL3066); 65532 is the conventional "nonroot" id. `docker run --user "$(id -u):$(id -g)"`
# replaces it, so a mounted 0600 key file and reports directory belong to the process.
USER 65532:65532

# Policies are read from ./policies relative to the working directory: Cloud Build mounts the
# checked-out source at /workspace; with docker run, mount it there (-v "$PWD:/workspace").
WORKDIR /workspace
ENTRYPOINT ["python", "-m", "infra_verify"]
CMD ["--help"]
