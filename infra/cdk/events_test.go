package main

import (
	"slices"
	"strings"
	"testing"
)

// The product's events come from the table's stream: NEW_IMAGE, an event
// source mapping with partial batch responses, bisection and a watched
// dead-letter destination, and a function that may read the stream and put
// events on the stack's own bus, nothing else.
func TestEventsFlowFromTheStreamToTheBus(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fn := functions(t, tpl)["publish-events"]
		table := tpl.one(t, "AWS::DynamoDB::Table")
		if v := get(table.Props, "StreamSpecification", "StreamViewType"); v != "NEW_IMAGE" {
			t.Errorf("table stream %v", v)
		}
		bus := tpl.one(t, "AWS::Events::EventBus")

		var esm resource
		for _, m := range tpl.resources("AWS::Lambda::EventSourceMapping") {
			if render(m.Props["FunctionName"]) == "<"+fn.ID+">" {
				esm = m
			}
		}
		if render(esm.Props["FunctionName"]) != "<"+fn.ID+">" || render(esm.Props["EventSourceArn"]) != "<"+table.ID+".StreamArn>" {
			t.Errorf("mapping %v", esm.Props)
		}
		if !slices.Equal(strs(esm.Props["FunctionResponseTypes"]), []string{"ReportBatchItemFailures"}) ||
			esm.Props["BisectBatchOnFunctionError"] != true || esm.Props["StartingPosition"] != "TRIM_HORIZON" {
			t.Errorf("mapping %v", esm.Props)
		}
		dlq := render(get(esm.Props, "DestinationConfig", "OnFailure", "Destination"))
		var watched bool
		for _, a := range tpl.resources("AWS::CloudWatch::Alarm") {
			for _, d := range list(a.Props["Dimensions"]) {
				if v := d.(map[string]any)["Value"]; "<"+strings.TrimSuffix(strings.TrimPrefix(render(v), "<"), ".QueueName>")+".Arn>" == dlq {
					watched = true
				}
			}
		}
		if dlq == "" || !watched {
			t.Errorf("on-failure destination %q, watched %v", dlq, watched)
		}

		env := get(fn.Props, "Environment", "Variables").(map[string]any)
		if refID(env["EVENT_BUS_NAME"]) != bus.ID || env["TABLE_NAME"] != nil {
			t.Errorf("environment %v", env)
		}
		var actions []string
		for _, s := range roleStatements(t, tpl, refID(get(fn.Props, "Role"))) {
			for _, a := range s.Actions {
				if strings.HasPrefix(a, "logs:") {
					continue
				}
				actions = append(actions, a)
				res := strings.Join(s.Resources, " ")
				switch {
				case a == "events:PutEvents" && res != "<"+bus.ID+".Arn>":
					t.Errorf("PutEvents on %s", res)
				case a == "dynamodb:ListStreams" && res != "*":
					t.Errorf("ListStreams on %s", res)
				case strings.HasPrefix(a, "dynamodb:") && a != "dynamodb:ListStreams" && res != "<"+table.ID+".StreamArn>":
					t.Errorf("%s on %s, want the stream only", a, res)
				case strings.HasPrefix(a, "sqs:") && res != dlq:
					t.Errorf("%s on %s", a, res)
				}
			}
		}
		slices.Sort(actions)
		want := []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams",
			"events:PutEvents", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"}
		if !slices.Equal(slices.Compact(actions), want) {
			t.Errorf("publish-events may %v, want %v", slices.Compact(actions), want)
		}
	})
}
