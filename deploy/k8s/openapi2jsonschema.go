//go:build ignore

// Command openapi2jsonschema turns the Kubernetes API's OpenAPI v2 document
// (api/openapi-spec/swagger.json of the k8s.io/kubernetes module) into the
// JSON schemas kubeconform reads, one file per kind, named as kubeconform's
// -schema-location template {{ .ResourceKind }}{{ .KindSuffix }}.json
// spells them: job-batch-v1.json, persistentvolumeclaim-v1.json. The
// definitions every kind shares go to one _definitions.json that the kind
// files refer to, relative to themselves. validate.sh runs it:
//
//	go run ./deploy/k8s/openapi2jsonschema.go -in swagger.json -out DIR
//
// The schemas are strict, like kubeconform's own (yannh/kubernetes-json-schema
// *-strict): every object schema with properties gets additionalProperties:
// false, so a misspelled or unknown field fails, as it does with kubectl's
// default --validate=strict. Two scalar types that OpenAPI v2 can only call
// strings take the form the same release's OpenAPI v3 document
// (api/openapi-spec/v3) gives them: an IntOrString is a string or an
// integer, a Quantity (cpu: 2, memory: 4Gi) a string or a number.
// Descriptions and x-kubernetes-* extensions are left out: they validate
// nothing. The output is deterministic: the same swagger.json gives the same
// bytes.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	defsFile   = "_definitions.json"
	defsPrefix = "#/definitions/"
	draft4     = "http://json-schema.org/draft-04/schema#"
	quantity   = "io.k8s.apimachinery.pkg.api.resource.Quantity"
)

func main() {
	in := flag.String("in", "", "the OpenAPI v2 document (swagger.json)")
	out := flag.String("out", "", "directory to write the schemas to (created)")
	flag.Parse()
	if *in == "" || *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run openapi2jsonschema.go -in swagger.json -out DIR")
		os.Exit(2)
	}
	n, err := convert(*in, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi2jsonschema:", err)
		os.Exit(1)
	}
	fmt.Printf("openapi2jsonschema: %d kind schemas and %s written to %s\n", n, defsFile, *out)
}

type gvk struct{ Group, Version, Kind string }

// convert writes the schemas of the document at in to the directory out
// and returns how many kind files it wrote.
func convert(in, out string) (int, error) {
	raw, err := os.ReadFile(in)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Swagger     string                    `json:"swagger"`
		Definitions map[string]map[string]any `json:"definitions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return 0, fmt.Errorf("%s: %w", in, err)
	}
	if doc.Swagger != "2.0" || len(doc.Definitions) == 0 {
		return 0, fmt.Errorf("%s: not an OpenAPI v2 document with definitions", in)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}

	names := make([]string, 0, len(doc.Definitions))
	for name := range doc.Definitions {
		names = append(names, name)
	}
	sort.Strings(names)

	shared := map[string]any{}
	for _, name := range names {
		shared[name] = definition(name, doc.Definitions[name], "")
	}
	if err := write(filepath.Join(out, defsFile), map[string]any{"$schema": draft4, "definitions": shared}); err != nil {
		return 0, err
	}

	written := map[string]string{} // file name: the definition it holds
	for _, name := range names {
		def := doc.Definitions[name]
		gvks, err := kinds(def)
		if err != nil {
			return 0, fmt.Errorf("definition %s: %w", name, err)
		}
		for _, k := range gvks {
			file := fileName(k)
			if prev, ok := written[file]; ok {
				return 0, fmt.Errorf("%s: both %s and %s map to it", file, prev, name)
			}
			written[file] = name
			s := definition(name, def, defsFile)
			s["$schema"] = draft4
			// The kind file is picked by apiVersion and kind, so these can
			// only be the one pair; saying so costs nothing and rejects a
			// schema used for the wrong kind.
			if props, ok := s["properties"].(map[string]any); ok {
				apiVersion := k.Version
				if k.Group != "" {
					apiVersion = k.Group + "/" + k.Version
				}
				pin(props, "apiVersion", apiVersion)
				pin(props, "kind", k.Kind)
			}
			if err := write(filepath.Join(out, file), s); err != nil {
				return 0, err
			}
		}
	}
	if len(written) == 0 {
		return 0, fmt.Errorf("%s: no definition has x-kubernetes-group-version-kind", in)
	}
	return len(written), nil
}

// definition converts the named definition; refPrefix goes before the
// "#/definitions/..." of every $ref ("" within _definitions.json).
func definition(name string, def map[string]any, refPrefix string) map[string]any {
	if name == quantity {
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "number"},
		}}
	}
	return schema(def, refPrefix)
}

// schema converts one schema object of the document, walking the keywords
// that hold schemas (so that a property named "properties" or "$ref", as
// a CustomResourceDefinition's JSONSchemaProps has, stays a property).
func schema(s map[string]any, refPrefix string) map[string]any {
	if f, _ := s["format"].(string); f == "int-or-string" {
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "integer"},
		}}
	}
	out := make(map[string]any, len(s))
	for k, v := range s {
		switch {
		case k == "description" || strings.HasPrefix(k, "x-"):
			// validates nothing
		case k == "$ref":
			ref, _ := v.(string)
			out[k] = refPrefix + ref
		case k == "properties":
			props := map[string]any{}
			for name, p := range v.(map[string]any) {
				props[name] = sub(p, refPrefix)
			}
			out[k] = props
		case k == "items" || k == "additionalProperties" || k == "not":
			out[k] = sub(v, refPrefix)
		case k == "allOf" || k == "anyOf" || k == "oneOf":
			list := []any{}
			for _, e := range v.([]any) {
				list = append(list, sub(e, refPrefix))
			}
			out[k] = list
		default:
			out[k] = v
		}
	}
	if _, ok := out["properties"]; ok {
		if _, set := out["additionalProperties"]; !set {
			out["additionalProperties"] = false
		}
	}
	return out
}

// sub converts v if it is a schema object (additionalProperties may be a
// boolean; items, in JSON Schema, a list).
func sub(v any, refPrefix string) any {
	switch t := v.(type) {
	case map[string]any:
		return schema(t, refPrefix)
	case []any:
		list := []any{}
		for _, e := range t {
			list = append(list, sub(e, refPrefix))
		}
		return list
	}
	return v
}

// pin restricts the string property name of props to the one value.
func pin(props map[string]any, name, value string) {
	p, ok := props[name].(map[string]any)
	if !ok {
		return
	}
	p["enum"] = []any{value}
}

// kinds returns the group-version-kinds the definition is the schema of.
func kinds(def map[string]any) ([]gvk, error) {
	v, ok := def["x-kubernetes-group-version-kind"]
	if !ok {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var gvks []gvk
	if err := json.Unmarshal(b, &gvks); err != nil {
		return nil, fmt.Errorf("x-kubernetes-group-version-kind: %w", err)
	}
	for _, k := range gvks {
		if k.Kind == "" || k.Version == "" {
			return nil, fmt.Errorf("x-kubernetes-group-version-kind %+v: no kind or version", k)
		}
	}
	return gvks, nil
}

// fileName is kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}.json for
// the kind: lower-case kind, the group's first label, the version
// (pkg/registry/registry.go: schemaPath).
func fileName(k gvk) string {
	name := strings.ToLower(k.Kind)
	if k.Group != "" {
		name += "-" + strings.ToLower(strings.Split(k.Group, ".")[0])
	}
	return name + "-" + strings.ToLower(k.Version) + ".json"
}

func write(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
