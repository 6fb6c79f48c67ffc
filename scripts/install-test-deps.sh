#!/usr/bin/env bash
# Install everything dcmon's test suite needs on a fresh Debian 12 machine (run as root).
#
# Idempotent: each step checks what is already there and skips itself.
#   1. Debian packages: snmp snmpd python3-venv python3-gdbm prometheus prometheus-alertmanager
#      prometheus-snmp-exporter (promtool ships with prometheus; the exporter is only run by
#      benchmarks/vs_snmp_exporter.py). Their system services are NOT started: a temporary
#      /usr/sbin/policy-rc.d (exit 101) blocks invoke-rc.d during the install, and services of
#      packages installed by this run are stopped and disabled afterwards when systemd runs.
#   2. snmpsim==1.1.7 in its own venv at ${DCMON_SNMPSIM_VENV:-/opt/dcmon-snmpsim}, built with
#      Debian's /usr/bin/python3 (a pyenv Python under /root lacks a dbm clone that the
#      unprivileged snmpsim process can use: "no dbm clone found").
#   3. The project venv .venv (with the running python3) and `pip install -e '.[dev]'`.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SNMPSIM_VENV="${DCMON_SNMPSIM_VENV:-/opt/dcmon-snmpsim}"
SNMPSIM_VERSION="1.1.7"
APT_PACKAGES=(snmp snmpd python3-venv python3-gdbm prometheus prometheus-alertmanager
              chromium poppler-utils fonts-wqy-microhei victoria-metrics prometheus-snmp-exporter)
# package -> systemd unit it ships
declare -A PACKAGE_UNITS=(
    [snmpd]=snmpd.service
    [prometheus]=prometheus.service
    [prometheus-alertmanager]=prometheus-alertmanager.service
    [victoria-metrics]=victoria-metrics.service
    [prometheus-snmp-exporter]=prometheus-snmp-exporter.service
)

log() { printf 'install-test-deps: %s\n' "$*"; }

if [[ "$(id -u)" -ne 0 ]]; then
    log "must run as root (apt-get, ${SNMPSIM_VENV})" >&2
    exit 1
fi

# ---------------------------------------------------------------- 1. Debian packages
is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    log "apt: all present (${APT_PACKAGES[*]})"
else
    policy_created=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# dcmon install-test-deps: do not start services\nexit 101\n' \
            >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_created=1
        # Remove it again however the install ends.
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    log "apt: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -qq \
        "${APT_PACKAGES[@]}" >/dev/null
    if ((policy_created)); then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
    # With systemd as PID 1 the units would start at next boot: disable those we installed.
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
        for pkg in "${missing[@]}"; do
            unit="${PACKAGE_UNITS[$pkg]:-}"
            [[ -n "$unit" ]] || continue
            systemctl disable --now "$unit" >/dev/null 2>&1 || true
            log "apt: stopped and disabled ${unit}"
        done
    fi
    log "apt: installed ${missing[*]}"
fi
for tool in snmpget snmpbulkwalk promtool prometheus prometheus-snmp-exporter; do
    command -v "$tool" >/dev/null || { log "missing tool after install: $tool" >&2; exit 1; }
done

# ---------------------------------------------------------------- 2. snmpsim venv
snmpsim_version() {
    "${SNMPSIM_VENV}/bin/python" -c \
        'import importlib.metadata as m; print(m.version("snmpsim"))' 2>/dev/null || true
}

if [[ -x "${SNMPSIM_VENV}/bin/snmpsim-command-responder" \
      && "$(snmpsim_version)" == "${SNMPSIM_VERSION}" ]]; then
    log "snmpsim: ${SNMPSIM_VERSION} already in ${SNMPSIM_VENV}"
else
    if [[ ! -x "${SNMPSIM_VENV}/bin/python" ]]; then
        /usr/bin/python3 -m venv "${SNMPSIM_VENV}"
    fi
    "${SNMPSIM_VENV}/bin/pip" install --quiet "snmpsim==${SNMPSIM_VERSION}"
    log "snmpsim: installed $(snmpsim_version) in ${SNMPSIM_VENV}"
fi
# The responder drops privileges to nobody:nogroup when started as root; it must be able to
# read the venv.
chmod -R o+rX "${SNMPSIM_VENV}"

# ---------------------------------------------------------------- 3. project venv
cd "${REPO_ROOT}"
if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
    log "project: created .venv with $(python3 --version 2>&1)"
else
    log "project: .venv exists ($(.venv/bin/python --version 2>&1))"
fi
.venv/bin/pip install --quiet -e '.[dev]'
log "project: pip install -e '.[dev]' done"
