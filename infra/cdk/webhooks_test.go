package main

import (
	"slices"
	"strings"
	"testing"
)

// Webhooks: a rule on the stack's bus sends customers' events (their
// detail) to the events queue; deliver-webhooks consumes it and the FIFO
// deliveries queue through two mappings with partial batch responses; both
// queues are encrypted, TLS only, with a watched dead-letter queue and an
// alarm on their oldest message; only deliver-webhooks touches them, and it
// may send to and set visibility on the deliveries queue; the functions
// that seal secrets get WEBHOOK_KEY_ARN, the others do not.
func TestWebhooksDelivery(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		fn := fns["deliver-webhooks"]
		queues := map[string]resource{}
		for _, q := range tpl.resources("AWS::SQS::Queue") {
			queues["<"+q.ID+".Arn>"] = q
		}
		var sources []resource
		for _, m := range tpl.resources("AWS::Lambda::EventSourceMapping") {
			if render(m.Props["FunctionName"]) == "<"+fn.ID+">" {
				sources = append(sources, m)
				if !slices.Equal(strs(m.Props["FunctionResponseTypes"]), []string{"ReportBatchItemFailures"}) {
					t.Errorf("mapping %v", m.Props)
				}
			}
		}
		if len(sources) != 2 {
			t.Fatalf("deliver-webhooks has %d mappings, want 2", len(sources))
		}
		var events, deliveries resource
		for _, m := range sources {
			q := queues[render(m.Props["EventSourceArn"])]
			if q.Props["FifoQueue"] == true {
				deliveries = q
			} else {
				events = q
			}
		}
		if events.ID == "" || deliveries.ID == "" {
			t.Fatalf("the queues: events %q, deliveries %q", events.ID, deliveries.ID)
		}
		for _, q := range []resource{events, deliveries} {
			redrive := get(q.Props, "RedrivePolicy").(map[string]any)
			dlq := queues[render(redrive["deadLetterTargetArn"])]
			if q.Props["SqsManagedSseEnabled"] != true || dlq.ID == "" || dlq.Props["SqsManagedSseEnabled"] != true {
				t.Errorf("queue %s: %v, its dead-letter queue %v", q.ID, q.Props, dlq.Props)
			}
			tls := 0
			for _, p := range tpl.resources("AWS::SQS::QueuePolicy") {
				r := render(p.Props["Queues"])
				if (strings.Contains(r, q.ID) || strings.Contains(r, dlq.ID)) && strings.Contains(render(p.Props["PolicyDocument"]), "aws:SecureTransport") {
					tls++
				}
			}
			if tls != 2 {
				t.Errorf("queue %s and its dead-letter queue: %d TLS-only policies", q.ID, tls)
			}
			watched := map[string]bool{}
			for _, a := range tpl.resources("AWS::CloudWatch::Alarm") {
				for _, d := range list(a.Props["Dimensions"]) {
					v := render(d.(map[string]any)["Value"])
					for _, id := range []string{q.ID, dlq.ID} {
						if strings.Contains(v, id) {
							watched[id+" "+render(a.Props["MetricName"])] = true
						}
					}
				}
			}
			if !watched[dlq.ID+" ApproximateNumberOfMessagesVisible"] || !watched[q.ID+" ApproximateAgeOfOldestMessage"] {
				t.Errorf("queue %s alarms: %v", q.ID, watched)
			}
		}
		rules := 0
		for _, r := range tpl.resources("AWS::Events::Rule") {
			targets := list(r.Props["Targets"])
			if len(targets) == 1 && render(targets[0].(map[string]any)["Arn"]) == "<"+events.ID+".Arn>" {
				rules++
				tg := targets[0].(map[string]any)
				if tg["InputPath"] != "$.detail" || !strings.Contains(render(r.Props["EventPattern"]), "cus_") || r.Props["EventBusName"] == nil {
					t.Errorf("the rule %v", r.Props)
				}
			}
		}
		if rules != 1 {
			t.Errorf("%d rules send to the events queue, want 1", rules)
		}
		for name, f := range fns {
			var sqs []string
			for _, s := range roleStatements(t, tpl, refID(get(f.Props, "Role"))) {
				for _, a := range s.Actions {
					if strings.HasPrefix(a, "sqs:") && (strings.Contains(strings.Join(s.Resources, " "), events.ID) || strings.Contains(strings.Join(s.Resources, " "), deliveries.ID)) {
						sqs = append(sqs, a)
					}
				}
			}
			slices.Sort(sqs)
			sqs = slices.Compact(sqs)
			if name == "deliver-webhooks" {
				if !slices.Equal(sqs, []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"}) {
					t.Errorf("deliver-webhooks may %v on its queues", sqs)
				}
			} else if len(sqs) > 0 {
				t.Errorf("%s may %v on the webhooks' queues", name, sqs)
			}
			env, _ := get(f.Props, "Environment", "Variables").(map[string]any)
			key, hasKey := env["WEBHOOK_KEY_ARN"]
			if wants := name == "deliver-webhooks" || name == "create-webhook" || name == "rotate-webhook-secret"; hasKey != wants {
				t.Errorf("%s: WEBHOOK_KEY_ARN %v, want %v", name, hasKey, wants)
			} else if hasKey && render(key) != "<"+secretID(syn, "WebhookKey")+">" {
				t.Errorf("%s: WEBHOOK_KEY_ARN is %s, not the webhook key's ARN", name, render(key))
			}
		}
		if env := get(fn.Props, "Environment", "Variables").(map[string]any); refID(env["WEBHOOK_QUEUE_URL"]) != deliveries.ID {
			t.Errorf("deliver-webhooks' queue %v", env["WEBHOOK_QUEUE_URL"])
		}
	})
}
