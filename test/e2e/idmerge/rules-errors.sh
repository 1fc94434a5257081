# a rules file with an error is refused with the file, the path and why (78)
echo '{}' > "$T/in"
try() {
	printf '%s\n' "$1" > "$T/identity.json"
	idmerge --db "$T/db" --rules "$T/identity.json" "$T/in" 2> "$T/err"
	echo "exit $?: $(sed "s|$T/||g" "$T/err")"
}
try '{"types":[]}'
try '{"types":[{"name":"phone"}]}'
try '{"types":[{"name":"phone","limit":0}]}'
try '{"types":[{"name":"Phone","limit":1}]}'
try '{"types":[{"name":"phone","limit":1},{"name":"phone","limit":2}]}'
try '{"types":[{"name":"phone","limit":1,"priority":2}]}'
try '{"types":[{"name":"phone","limit":1}],"blocked":["nocolon"]}'
try '{"types":[{"name":"phone","limit":1}],"max_component":1}'
try '{"types":[{"name":"phone","limit":1}],"unknown_types":"maybe"}'
try '{"types":[{"name":"phone","limit":1}],"typo":1}'
