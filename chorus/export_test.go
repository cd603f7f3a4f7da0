package chorus

// TokenRequests counts the requests made to the token endpoint, for the
// tests of the token cache.
func (c *Client) TokenRequests() int { return c.tokens.count() }
