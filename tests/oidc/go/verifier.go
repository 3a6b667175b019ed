// The ID token check of a college app written in Go, on go-oidc: one provider and one
// verifier for the whole life of the process, caching the JWKS as go-oidc does (fresh until
// 30 s before its max-age ends; an unknown kid is looked up again only after that).
//
// Usage: verifier ISSUER CLIENT_ID. It reads one ID token per line on its standard input
// and answers on one line: "ok SUB FETCHES" or "refused FETCHES REASON", FETCHES being how
// many times it has fetched the JWKS so far.
package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	oidc "github.com/coreos/go-oidc"
)

type countingTransport struct{ jwksFetches int64 }

func (t *countingTransport) RoundTrip(request *http.Request) (*http.Response, error) {
	if strings.HasSuffix(request.URL.Path, "/jwks.json") {
		atomic.AddInt64(&t.jwksFetches, 1)
	}
	return http.DefaultTransport.RoundTrip(request)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: verifier ISSUER CLIENT_ID")
		os.Exit(2)
	}
	transport := &countingTransport{}
	ctx := oidc.ClientContext(context.Background(), &http.Client{Transport: transport})
	provider, err := oidc.NewProvider(ctx, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "discovery:", err)
		os.Exit(1)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: os.Args[2]})
	input := bufio.NewScanner(os.Stdin)
	input.Buffer(make([]byte, 64*1024), 1024*1024)
	for input.Scan() {
		token, err := verifier.Verify(ctx, strings.TrimSpace(input.Text()))
		fetches := atomic.LoadInt64(&transport.jwksFetches)
		if err != nil {
			fmt.Println("refused", fetches, strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Println("ok", token.Subject, fetches)
		}
	}
}
