package httpx

import (
	"context"

	"meshdrop/core/provider"
)

// balanceAnswer is a bare {"balance": N} answer (Meshy's GET /v1/balance,
// Rodin's GET /v2/check_balance).
type balanceAnswer struct {
	Balance *float64 `json:"balance"`
}

// ReadBalance reads a bare {"balance": N} answer at path with Read's
// retries. An answer without a balance (missing or null) is ErrBadResponse:
// zero credits must not be made up.
func (c *Client) ReadBalance(ctx context.Context, cred provider.Credential, path string) (float64, error) {
	var ans balanceAnswer
	if _, err := c.Read(ctx, cred, Call{Path: path}, &ans); err != nil {
		return 0, err
	}
	if ans.Balance == nil {
		return 0, c.Error(provider.ErrBadResponse, cred, "the balance answer has no balance", nil)
	}
	return *ans.Balance, nil
}
