// Command deliver-webhooks delivers the events to webhook subscriptions:
// from the events queue (the bus's rule) it fans each event out to the
// deliveries queue (SQS FIFO, a group per subscription and target), and
// from there posts each, signed, with retries and backoff (event source
// mappings with partial batch responses).
package main

import "github.com/portalaccess/portalaccess/shared/lambdafn/deliver"

func main() { deliver.Start("deliver-webhooks") }
