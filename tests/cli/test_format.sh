#!/usr/bin/env bash
# test_format.sh SOURCE_DIR -- every C source and header of Kiln is formatted as .clang-format
# says (clang-format-19, the version the style is written for). Prints each file that is not,
# with the first lines clang-format would change; exit 1 then, 77 (skipped) when
# clang-format-19 is missing, 0 otherwise. Fix with: clang-format-19 -i FILE.
set -uo pipefail
src=$1
fmt=$(command -v clang-format-19) || { echo "clang-format-19 not found: skipped"; exit 77; }
cd "$src" || exit 2
mapfile -t files < <(find toolchain runtime wasi cli tests samples bench cmake \
    -name '*.[ch]' -not -path '*/build*' -not -path '*/corpus/*' | sort)
((${#files[@]} > 100)) || { echo "only ${#files[@]} sources found under $src"; exit 1; }
bad=0
for f in "${files[@]}"; do
    if ! out=$("$fmt" --dry-run -Werror "$f" 2>&1); then
        echo "not formatted: $f"
        printf '%s\n' "$out" | head -6
        bad=$((bad + 1))
    fi
done
echo "${#files[@]} files, $bad not formatted"
((bad == 0))
