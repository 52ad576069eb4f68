# Sourced by the scripts: install Debian packages (as root, or through sudo) when missing.
apt_install() {
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if [ -z "${KPI_TARGETS_APT_UPDATED:-}" ]; then
        $sudo apt-get update -qq
        export KPI_TARGETS_APT_UPDATED=1
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@"
}
