# wast-modules.awk -- scripts/fuzz.sh's seed maker for the text reader's target: writes each
# top-level (module ...) form of a spec script that is module text (not binary, quote,
# definition or instance) to PREFIX.N.wat. Usage: awk -v PREFIX=DIR/NAME -f wast-modules.awk F.wast
BEGIN { depth = 0; n = 0; buf = ""; instr = 0; bc = 0 }
{
    line = $0 "\n"; len = length(line); i = 1
    while (i <= len) {
        c = substr(line, i, 1); c2 = substr(line, i, 2)
        if (instr) {
            if (depth > 0) buf = buf c
            if (c == "\\") { i++; if (depth > 0) buf = buf substr(line, i, 1) }
            else if (c == "\"") instr = 0
            i++; continue
        }
        if (bc) {
            if (c2 == "(;") { bc++; i += 2; continue }
            if (c2 == ";)") { bc--; i += 2; continue }
            i++; continue
        }
        if (c2 == ";;") break
        if (c2 == "(;") { bc = 1; i += 2; continue }
        if (c == "\"") instr = 1
        if (c == "(") depth++
        if (depth > 0) buf = buf c
        if (c == ")") {
            depth--
            if (depth == 0) {
                if (buf ~ /^\(module[ \t\n]/ && buf !~ /^\(module[ \t\n]+(\$[^ \t\n]+[ \t\n]+)?(binary|quote|definition|instance)/) {
                    file = PREFIX "." n ".wat"; n++
                    printf "%s\n", buf > file; close(file)
                }
                buf = ""
            }
        }
        i++
    }
    if (depth > 0) buf = buf "\n"
}
