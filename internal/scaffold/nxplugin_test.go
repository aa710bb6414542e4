package scaffold

import "testing"

func TestAddPluginKeepsEveryOtherByte(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"no plugins key", "{\n  \"npmScope\": \"acme\"\n}\n",
			"{\n  \"npmScope\": \"acme\",\n  \"plugins\": [\n    {\n      \"plugin\": \"pm2dock/nx\"\n    }\n  ]\n}\n"},
		{"empty plugins", "{\n  \"plugins\": []\n}\n",
			"{\n  \"plugins\": [\n    {\n      \"plugin\": \"pm2dock/nx\"\n    }\n  ]\n}\n"},
		{"other plugins, a comment", "{\n  // ours\n  \"plugins\": [\n    \"@nx/js\",\n    {\"plugin\": \"@nx/vite/plugin\", \"options\": {}}\n  ]\n}\n",
			"{\n  // ours\n  \"plugins\": [\n    \"@nx/js\",\n    {\"plugin\": \"@nx/vite/plugin\", \"options\": {}},\n    {\n      \"plugin\": \"pm2dock/nx\"\n    }\n  ]\n}\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, changed, err := addPlugin([]byte(c.in))
			if err != nil || !changed || string(out) != c.want {
				t.Fatalf("changed %v err %v\n got %q\nwant %q", changed, err, out, c.want)
			}
			again, changed, err := addPlugin(out)
			if err != nil || changed || string(again) != string(out) {
				t.Fatalf("a second run changed it: %v %v", changed, err)
			}
		})
	}
	for _, in := range []string{`{"plugins": ["pm2dock/nx"]}`, `{"plugins": [{"plugin": "pm2dock/nx", "options": {"targetNames": {}}}]}`} {
		if _, changed, err := addPlugin([]byte(in)); changed || err != nil {
			t.Errorf("%s: registered already, changed %v %v", in, changed, err)
		}
	}
	for _, in := range []string{`[]`, `{"plugins": {}}`, `{"plugins": [`} {
		if _, _, err := addPlugin([]byte(in)); err == nil {
			t.Errorf("%s: want an error", in)
		}
	}
}
