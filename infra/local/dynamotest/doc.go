// Package dynamotest is the DynamoDB tier of the store's tests: its test
// binary starts DynamoDB Local once, runs the conformance suite
// (shared/store/storetest) against the DynamoDB store (shared/store) on a
// fresh table per subtest, and holds what only DynamoDB can show: the
// commit's retries of TransactionConflict, that only a token's hash is
// stored, and that the cost of a page or of a sweep does not grow with the
// table. It needs a JDK and `make deps`.
package dynamotest
