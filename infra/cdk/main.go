// Command cdk is the AWS CDK app of Portal Access: `cdk synth` and
// `cdk deploy` run it (cdk.json at the repository's root).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	settings, err := SettingsFromContext(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	if err != nil {
		fmt.Fprintf(os.Stderr, "Portal Access cannot synthesize:\n%v\n", err)
		os.Exit(1)
	}
	NewPortalAccessStack(app, "PortalAccess", &PortalAccessStackProps{
		// Environment-agnostic: the stack deploys to the account and region
		// of the credentials `cdk deploy` runs with, and synthesizes offline.
		StackProps: awscdk.StackProps{
			Description: jsii.String("Portal Access: who may sign in to each customer's portal"),
		},
		Settings: settings,
		// Relative to the repository's root, where cdk.json is: `cdk synth`
		// and `cdk deploy` run the app from there.
		AssetDir:   "bin",
		ConsoleDir: "shared/console/static",
	})
	app.Synth(nil)
}
