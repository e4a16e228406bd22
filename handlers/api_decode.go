package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// decodeJSON reads a JSON body into v, answering 413 or 400 itself when it
// cannot. Unknown fields are refused, so a misspelt one is not silently
// ignored.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errTrailing
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		apiFail(w, http.StatusRequestEntityTooLarge, apiError{Code: "too_large",
			Message: fmt.Sprintf("The body is over %d bytes.", tooBig.Limit)})
	default:
		apiFail(w, http.StatusBadRequest, apiError{Code: "bad_request",
			Message: decodeProblem(err)})
	}
	return false
}

// errTrailing is a body with something after its JSON value.
var errTrailing = errors.New("more than one JSON value")

// decodeProblem says in plain words what is wrong with a body the JSON
// decoder refused. The decoder's own wording names Go types and struct
// fields, which mean nothing to a script's author.
func decodeProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return "the body must be a JSON object"
		}
		return typeErr.Field + " must be " + jsonKind(typeErr.Type)
	case errors.As(err, &syntaxErr):
		// Offset counts the bytes read up to and including the bad one,
		// which is that byte's place counted from 1.
		return fmt.Sprintf("the body is not valid JSON (at byte %d)", syntaxErr.Offset)
	case errors.Is(err, io.EOF):
		return "the body is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is not valid JSON (it ends too soon)"
	case errors.Is(err, errTrailing):
		return "the body must hold one JSON object and nothing after it"
	}
	// The decoder reports an unknown field only in its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return name + " is not a field of this request"
	}
	return "the body is not the JSON expected"
}

// jsonKind names the JSON value a Go type is read from.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value of another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a value of another type"
}
