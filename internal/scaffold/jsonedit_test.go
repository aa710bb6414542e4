package scaffold

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMerge(t *testing.T) {
	want := Obj{{"targets", Obj{{"a", Obj{{"cache", false}, {"options", Obj{{"command", "x a"}}}}}}}}
	cases := []struct{ name, src, out string }{
		{"empty object", "{}\n",
			"{\n  \"targets\": {\n    \"a\": {\n      \"cache\": false,\n      \"options\": {\n        \"command\": \"x a\"\n      }\n    }\n  }\n}\n"},
		{"keeps other members, their order and spelling, appends with the file's indent",
			"{\n    \"name\": \"s\",\n    \"tags\": [1,2],\n    \"targets\": {\n        \"mine\": {\"executor\":\"nx:noop\"}\n    }\n}\n",
			"{\n    \"name\": \"s\",\n    \"tags\": [1,2],\n    \"targets\": {\n        \"mine\": {\"executor\":\"nx:noop\"},\n        \"a\": {\n            \"cache\": false,\n            \"options\": {\n                \"command\": \"x a\"\n            }\n        }\n    }\n}\n"},
		{"replaces a differing value in place, keeps an equal one as written, keeps extra fields",
			"{\"targets\": {\"a\": {\"cache\":   false, \"dependsOn\": [\"^b\"], \"options\": {\"command\": \"old\", \"env\": {\"K\": \"v\"}}}}}",
			"{\"targets\": {\"a\": {\"cache\":   false, \"dependsOn\": [\"^b\"], \"options\": {\"command\": \"x a\", \"env\": {\"K\": \"v\"}}}}}"},
		{"comments and a trailing comma survive",
			"{\n  // the services\n  \"targets\": {\n    /* mine */ \"b\": {},\n  },\n}\n",
			"{\n  // the services\n  \"targets\": {\n    /* mine */ \"b\": {},\n    \"a\": {\n      \"cache\": false,\n      \"options\": {\n        \"command\": \"x a\"\n      }\n    },\n  },\n}\n"},
		{"a non-object value is replaced whole",
			"{\"targets\": null}",
			"{\"targets\": {\n  \"a\": {\n    \"cache\": false,\n    \"options\": {\n      \"command\": \"x a\"\n    }\n  }\n}}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Merge([]byte(c.src), want)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.out {
				t.Fatalf("got:\n%s\nwant:\n%s", got, c.out)
			}
			again, err := Merge(got, want)
			if err != nil || string(again) != string(got) {
				t.Fatalf("second merge changed it (%v):\n%s", err, again)
			}
			var v any
			if err := json.Unmarshal(stripComments(got), &v); err != nil {
				t.Fatalf("result is not JSON(C): %v", err)
			}
		})
	}
}

func TestMergeRejectsBrokenJSONWithItsLine(t *testing.T) {
	for _, src := range []string{"{\n  \"a\": 1\n  \"b\": 2\n}", "[1]", "{\"a\": tru}", "{\"a\": \"open}"} {
		if _, err := Merge([]byte(src), Obj{{"x", "y"}}); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: err %v, want one naming the line", src, err)
		}
	}
}

func TestRenderDoesNotEscapeHTML(t *testing.T) {
	if got := string(Render(Obj{{"d", "a <b> & c"}}, "", "  ")); got != "{\n  \"d\": \"a <b> & c\"\n}" {
		t.Fatalf("%s", got)
	}
}
