#!/usr/bin/env bash
# Debian packages the tests need: ffmpeg (encoding test clips), a real RTSP server (GStreamer, driven by Debian's
# own python3), Prometheus, promtool, Alertmanager (amtool), docker-compose (only to validate the compose file) and
# systemd-analyze (to verify the unit), chromium (the console's browser tests drive it with Playwright; browsers
# cannot be downloaded, Debian's is used), openssl (a test SMTP server's certificate). Idempotent; needs root.
set -euo pipefail
PKGS=(ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-tools gstreamer1.0-plugins-base
      gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
      prometheus prometheus-alertmanager docker-compose systemd chromium openssl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Debian's prometheus package starts a system service; the tests start their own on free ports.
if command -v systemctl >/dev/null 2>&1; then systemctl stop prometheus prometheus-alertmanager 2>/dev/null || true; fi
echo "system packages ok"
