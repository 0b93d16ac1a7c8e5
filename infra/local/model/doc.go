// Package model holds a stateful, randomized, model-based test of the local
// stack (model_test.go and the files beside it): seeded sequences of
// operations through the real HTTP API, each answer predicted by a small
// reference model of the contract, and after every step a look at the
// table, Cognito, the mailbox and the audit trail for any trace that a
// refused or failed change left, or an effect that ran before its commit.
//
//	make model STEPS=2000 SEED=42   # one long, replayable sequence
//	go test ./infra/local/model     # a few seeds of a few hundred steps
package model
