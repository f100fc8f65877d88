#!/usr/bin/env bash
# Installs headless Chromium and its driver from Debian's packages, only when missing (idempotent).
# The browser tests drive /usr/bin/chromium through Playwright's executable_path: no browser download.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
