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
	// The account and region of the credentials `cdk deploy` runs with
	// (the CLI sets these). The region must be known at synth, because the
	// web ACL lives in us-east-1 and is read across regions; the account
	// may stay open, so that synth works offline.
	region := os.Getenv("CDK_DEFAULT_REGION")
	if region == "" {
		fmt.Fprintln(os.Stderr, "Portal Access cannot synthesize: no region; set AWS_REGION (the region to deploy to)")
		os.Exit(1)
	}
	env := &awscdk.Environment{Region: jsii.String(region)}
	if a := os.Getenv("CDK_DEFAULT_ACCOUNT"); a != "" {
		env.Account = jsii.String(a)
	}
	NewPortalAccess(app, env, &PortalAccessStackProps{
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
