// Command publish-events puts one event on the stack's EventBridge bus for
// each audit event item that a change committed (the table's stream, an
// event source mapping).
package main

import "github.com/portalaccess/portalaccess/shared/lambdafn/publish"

func main() { publish.Start("publish-events") }
