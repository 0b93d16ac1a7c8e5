package main

import (
	"slices"
	"strings"
	"testing"
)

// Imports' chunks go through a queue of their own: encrypted, TLS only,
// with a watched dead-letter queue after five receives; import-users
// consumes it through an event source mapping with partial batch responses
// and a maximum concurrency, may receive and delete on that queue only,
// and only create-import and the sweep may send to it.
func TestImportsQueueAndItsConsumer(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		consumer, sender := fns["import-users"], fns["create-import"]
		var esm resource
		for _, m := range tpl.resources("AWS::Lambda::EventSourceMapping") {
			if render(m.Props["FunctionName"]) == "<"+consumer.ID+">" {
				esm = m
			}
		}
		if esm.ID == "" {
			t.Fatal("no event source mapping for import-users")
		}
		if !slices.Equal(strs(esm.Props["FunctionResponseTypes"]), []string{"ReportBatchItemFailures"}) ||
			get(esm.Props, "ScalingConfig", "MaximumConcurrency") != float64(importConcurrency) || esm.Props["BatchSize"] != float64(importBatch) {
			t.Errorf("mapping %v", esm.Props)
		}
		queueArn := render(esm.Props["EventSourceArn"])
		var queue, dlq resource
		for _, q := range tpl.resources("AWS::SQS::Queue") {
			if "<"+q.ID+".Arn>" == queueArn {
				queue = q
			}
		}
		if queue.ID == "" || queue.Props["SqsManagedSseEnabled"] != true {
			t.Fatalf("the imports queue %v", queue.Props)
		}
		redrive := get(queue.Props, "RedrivePolicy").(map[string]any)
		dlqArn := render(redrive["deadLetterTargetArn"])
		for _, q := range tpl.resources("AWS::SQS::Queue") {
			if "<"+q.ID+".Arn>" == dlqArn {
				dlq = q
			}
		}
		if redrive["maxReceiveCount"] != float64(importMaxReceives) || dlq.ID == "" || queue.Props["VisibilityTimeout"] != float64(360) {
			t.Errorf("redrive %v, visibility %v", redrive, queue.Props["VisibilityTimeout"])
		}
		watched := false
		for _, a := range tpl.resources("AWS::CloudWatch::Alarm") {
			for _, d := range list(a.Props["Dimensions"]) {
				if refID(d.(map[string]any)["Value"]) == dlq.ID || strings.Contains(render(d.(map[string]any)["Value"]), dlq.ID) {
					watched = true
				}
			}
		}
		if !watched {
			t.Error("no alarm watches the imports' dead-letter queue")
		}
		env := get(consumer.Props, "Environment", "Variables").(map[string]any)
		if env["IMPORT_CONCURRENCY"] != "2" || env["IMPORT_SEND_RATE"] == nil || env["IMPORT_QUEUE_URL"] != nil {
			t.Errorf("consumer environment %v", env)
		}
		if senv := get(sender.Props, "Environment", "Variables").(map[string]any); refID(senv["IMPORT_QUEUE_URL"]) != queue.ID {
			t.Errorf("create-import's queue %v", senv["IMPORT_QUEUE_URL"])
		}
		// Who may touch the queue, and how.
		for name, fn := range fns {
			var sqs []string
			for _, s := range roleStatements(t, tpl, refID(get(fn.Props, "Role"))) {
				for _, a := range s.Actions {
					if !strings.HasPrefix(a, "sqs:") {
						continue
					}
					res := strings.Join(s.Resources, " ")
					if strings.Contains(res, queue.ID) {
						sqs = append(sqs, a)
					}
				}
			}
			slices.Sort(sqs)
			sqs = slices.Compact(sqs)
			switch name {
			case "create-import", "sweep-invitations": // the sweep queues what a crash left unqueued
				if !slices.Equal(sqs, []string{"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"}) {
					t.Errorf("%s may %v on the queue", name, sqs)
				}
			case "import-users":
				if !slices.Equal(sqs, []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"}) {
					t.Errorf("import-users may %v on the queue", sqs)
				}
			default:
				if len(sqs) > 0 {
					t.Errorf("%s may %v on the imports queue", name, sqs)
				}
			}
		}
	})
}
