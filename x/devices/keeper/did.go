package keeper

import (
	"context"
	errorsmod "cosmossdk.io/errors"
	"encoding/json"
	"fmt"
	"strings"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

// didDocument is a W3C DID Core document; field order is the JSON order.
type didDocument struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	Controller         string               `json:"controller"`
	VerificationMethod []verificationMethod `json:"verificationMethod"`
	AssertionMethod    []string             `json:"assertionMethod"`
	// Deactivated mirrors the DID document metadata once the device is revoked.
	Deactivated bool `json:"deactivated,omitempty"`
}

type verificationMethod struct {
	ID           string               `json:"id"`
	Type         string               `json:"type"`
	Controller   string               `json:"controller"`
	PublicKeyJwk devicekey.JSONWebKey `json:"publicKeyJwk"`
}

// DIDDocument resolves did:w3b:<device id> (or a bare device id). The
// document's controller is the project owner as a did:pkh account DID. A
// revoked device's DID is deactivated: its key no longer asserts anything.
func (k Keeper) DIDDocument(ctx context.Context, did string) (doc []byte, deactivated bool, err error) {
	id := strings.TrimPrefix(did, types.DIDPrefix)
	if strings.HasPrefix(id, "did:") {
		return nil, false, errorsmod.Wrapf(types.ErrInvalidDID, "%q is not a did:w3b DID", did)
	}
	d, err := k.GetDevice(ctx, id)
	if err != nil {
		return nil, false, err
	}
	p, err := k.GetProject(ctx, d.ProjectId)
	if err != nil {
		return nil, false, err
	}
	jwk, err := devicekey.JWK(devicekey.Algo(d.Algo), d.PubKey)
	if err != nil {
		return nil, false, fmt.Errorf("stored key of device %s: %w", id, err)
	}
	subject := types.DIDPrefix + id
	keyID := subject + "#key-1"
	deactivated = d.Status == types.StatusRevoked
	out := didDocument{
		Context:    []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"},
		ID:         subject,
		Controller: accountDID(sdk.UnwrapSDKContext(ctx).ChainID(), p.Owner),
		VerificationMethod: []verificationMethod{{
			ID: keyID, Type: "JsonWebKey2020", Controller: subject, PublicKeyJwk: jwk,
		}},
		AssertionMethod: []string{keyID},
		Deactivated:     deactivated,
	}
	if deactivated {
		out.AssertionMethod = []string{}
	}
	doc, err = json.Marshal(out)
	return doc, deactivated, err
}

// accountDID names a chain account as did:pkh (CAIP-10: cosmos:<chain id>:<address>).
func accountDID(chainID, addr string) string {
	return "did:pkh:cosmos:" + chainID + ":" + addr
}
