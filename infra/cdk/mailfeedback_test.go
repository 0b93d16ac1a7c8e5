package main

import (
	"slices"
	"sort"
	"testing"
)

// SES's reports of invitation e-mails reach the function that records them
// through AWS's managed parts: the configuration set's EventBridge
// destination, a rule on its events, a dead-letter queue for what fails.
func TestMailFeedbackFlowsFromSESToItsFunction(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		fn := fns["record-mail-feedback"]
		configSet := tpl.one(t, "AWS::SES::ConfigurationSet")

		dest := tpl.one(t, "AWS::SES::ConfigurationSetEventDestination")
		if refID(dest.Props["ConfigurationSetName"]) != configSet.ID {
			t.Errorf("event destination of %v", dest.Props["ConfigurationSetName"])
		}
		ed := get(dest.Props, "EventDestination").(map[string]any)
		types := strs(ed["MatchingEventTypes"])
		sort.Strings(types)
		if ed["Enabled"] != true || !slices.Equal(types, []string{"bounce", "complaint", "delivery"}) {
			t.Errorf("event destination %v", ed)
		}
		if bus := render(get(ed, "EventBridgeDestination", "EventBusArn")); bus != "arn:<AWS::Partition>:events:"+testRegion+":<AWS::AccountId>:event-bus/default" {
			t.Errorf("events go to %s, want the default bus", bus)
		}

		var rule *resource
		for _, r := range tpl.resources("AWS::Events::Rule") {
			if src := strs(get(r.Props, "EventPattern", "source")); slices.Contains(src, "aws.ses") {
				r := r
				rule = &r
			}
		}
		if rule == nil {
			t.Fatal("no rule on SES's events")
		}
		pat := get(rule.Props, "EventPattern").(map[string]any)
		dt := strs(pat["detail-type"])
		sort.Strings(dt)
		if !slices.Equal(strs(pat["source"]), []string{"aws.ses"}) || !slices.Equal(dt, []string{"Email Bounced", "Email Complained", "Email Delivered"}) {
			t.Errorf("rule pattern %v", pat)
		}
		if cs := list(get(pat, "detail", "mail", "tags", "ses:configuration-set")); len(cs) != 1 || refID(cs[0]) != configSet.ID {
			t.Errorf("the rule matches configuration sets %v, want only the product's", cs)
		}
		targets := list(rule.Props["Targets"])
		if len(targets) != 1 {
			t.Fatalf("targets %v", targets)
		}
		target := targets[0].(map[string]any)
		if render(target["Arn"]) != "<"+fn.ID+".Arn>" {
			t.Errorf("the rule invokes %v, want record-mail-feedback", target["Arn"])
		}
		queue := render(get(target, "DeadLetterConfig", "Arn"))
		if queue == "" || get(target, "RetryPolicy", "MaximumRetryAttempts") != float64(8) {
			t.Errorf("target delivery: %v", target)
		}

		// The function's own failures (after Lambda's two retries) land in
		// the same queue, which is encrypted, TLS only, and watched.
		var cfg resource
		for _, c := range tpl.resources("AWS::Lambda::EventInvokeConfig") {
			if render(c.Props["FunctionName"]) == "<"+fn.ID+">" {
				cfg = c
			}
		}
		if cfg.Props["MaximumRetryAttempts"] != float64(2) ||
			render(get(cfg.Props, "DestinationConfig", "OnFailure", "Destination")) != queue {
			t.Errorf("async invoke config %v (queue %s)", cfg.Props, queue)
		}
		var dlq resource
		for _, q := range tpl.resources("AWS::SQS::Queue") {
			if "<"+q.ID+".Arn>" == queue {
				dlq = q
			}
		}
		if dlq.ID == "" || dlq.Props["SqsManagedSseEnabled"] != true {
			t.Errorf("dead-letter queue %v", dlq)
		}
		var watched bool
		for _, a := range tpl.resources("AWS::CloudWatch::Alarm") {
			for _, d := range list(a.Props["Dimensions"]) {
				if v := d.(map[string]any)["Value"]; render(v) == "<"+dlq.ID+".QueueName>" {
					watched = true
				}
			}
		}
		if !watched {
			t.Error("no alarm watches the dead-letter queue")
		}
	})
}
