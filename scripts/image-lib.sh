# Shared by the image build scripts (sourced, not run): each image carries the
# hash of its sources in the label $LABEL and is rebuilt only when it changes.
LABEL=org.pm2dock.source-hash

# source_hash FILE... → one sha256 over the files' names and contents.
source_hash() {
  for f in "$@"; do printf '%s\n' "$f"; cat "$f"; done | sha256sum | cut -c1-16
}

# current_hash TAG → the source hash the image TAG was built from ("" if none).
current_hash() {
  docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true
}
