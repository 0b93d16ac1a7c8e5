// Command import-users works imports' chunks from the imports queue (an
// event source mapping with partial batch responses and a bounded
// concurrency): each row invited once, at its share of the send rate.
package main

import (
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withmail"
)

func main() { lambdafn.StartImports("import-users", withmail.SES) }
