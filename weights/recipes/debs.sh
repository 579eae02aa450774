# Shared by make_datasets.sh and make_artsets.sh (sourced, POSIX sh): root commands, apt
# installs, and the unpacked files of Debian packages.

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "need root to run: $*" >&2; exit 1
    fi
}

apt_install() {
    as_root apt-get install -y --no-install-recommends "$@" ||
        { as_root apt-get update && as_root apt-get install -y --no-install-recommends "$@"; }
}

# unpack_roots DEBS ROOTS PACKAGE...: one root per package, / if it is installed, else its .deb
# (apt-get download, kept in DEBS as a cache) unpacked under DEBS; writes ROOTS as
# "package<TAB>version<TAB>root" lines.
unpack_roots() {
    debs=$1 roots=$2
    shift 2
    : > "$roots.new"
    for pkg in "$@"; do
        if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ]; then
            printf '%s\t%s\t/\n' "$pkg" "$(dpkg-query -W -f='${Version}' "$pkg")" >> "$roots.new"
            continue
        fi
        deb=$(ls "$debs"/"${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
        if [ -z "$deb" ]; then
            ( cd "$debs" && { apt-get download "$pkg" 2>/dev/null ||
                              { as_root apt-get update >/dev/null && apt-get download "$pkg"; }; } )
            deb=$(ls "$debs"/"${pkg}"_*.deb | head -n 1)
        fi
        version=$(dpkg-deb -f "$deb" Version)
        root=$debs/root-$pkg
        if [ ! -f "$root/.version" ] || [ "$(cat "$root/.version")" != "$version" ]; then
            rm -rf "$root" && mkdir -p "$root"
            dpkg-deb -x "$deb" "$root"
            echo "$version" > "$root/.version"
        fi
        printf '%s\t%s\t%s\n' "$pkg" "$version" "$root" >> "$roots.new"
    done
    mv "$roots.new" "$roots"
}
