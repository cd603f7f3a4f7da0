package chorus

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Health checks that Chorus Pro answers and accepts the credentials:
// GET transverses/v1/health-check, the API's only GET (chorus-pro.md §0-3).
func (c *Client) Health(ctx context.Context) error {
	tok, err := c.tokens.token(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.BaseURL+PathHealthCheck, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set(HeaderCproAccount, c.account)
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Op: "health-check", Kind: Transient, Err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		c.tokens.invalidate(tok)
		return &Error{Op: "health-check", Kind: Auth, Status: resp.StatusCode, Reason: resp.Header.Get("WWW-Authenticate")}
	case resp.StatusCode != http.StatusOK:
		return &Error{Op: "health-check", Kind: Transient, Status: resp.StatusCode, Reason: fmt.Sprint(excerpt(body))}
	}
	return nil
}
