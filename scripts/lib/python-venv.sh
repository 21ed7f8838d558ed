# shellcheck shell=bash
# Sourced by the checks that run a tool from PyPI (check-openapi.sh, check-parquet.sh,
# fuzz-api.sh), so that they install it, reuse it and fail alike.
#
#   python_venv LABEL DIR REQUIREMENTS
#
# Makes (or reuses, while REQUIREMENTS is unchanged) a virtualenv at DIR holding the pinned
# REQUIREMENTS, and sets `venv` to it. Without PyPI, the check says SKIPPED and its script
# exits 0 on a laptop, and exits 1 where CI=true: on CI nothing skips silently.
python_venv() {
    local label=$1 dir=$2 reqs=$3
    venv=$dir
    if [ -f "$venv/.requirements" ] && cmp -s "$venv/.requirements" "$reqs"; then
        return 0
    fi
    echo "$label: installing $reqs into $venv" >&2
    rm -rf "$venv"
    if python3 -m venv "$venv" &&
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs"; then
        cp "$reqs" "$venv/.requirements"
        return 0
    fi
    if [ "${CI:-}" = true ]; then
        echo "$label: FAILED: cannot install $reqs from PyPI, and CI=true" >&2
        exit 1
    fi
    echo "$label: SKIPPED: cannot install $reqs from PyPI" >&2
    exit 0
}
