// Command sweep-invitations runs on a schedule: it sends the reminders that
// are due, marks expired invitations, and finishes identity changes that a
// request left half-done.
package main

import (
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withmail"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withqueue"
)

// The queue: it queues the chunks of imports that a crash left unqueued.
func main() {
	lambdafn.StartSweep("sweep-invitations", withidentity.Clients, withmail.SES, withqueue.SQS)
}
