//go:build screenshots

package browser

import "testing"

// TestScreenshotsOfTheWebhooks makes docs/screenshots/console-webhooks.png
// (a customer's webhooks: active, renewed secret, paused, paused by the
// system), console-webhooks-nl.png, console-webhook-secret.png (the
// secret, shown once) and console-webhook-deliveries.png (a delivery log):
//
//	go test -tags screenshots ./infra/local/browser/ -run TestScreenshotsOfTheWebhooks -count=1
func TestScreenshotsOfTheWebhooks(t *testing.T) {
	failing := failingEndpoint(t)
	a := admin(t)
	cu := a.newCustomer("Northwind Facilities")
	base := "/v1/customers/" + cu.ID + "/webhooks"
	crmPath, erpPath := receiverPath("crm"), receiverPath("erp")
	var crm, erp, reports, legacy webhook
	a.call("POST", base, map[string]any{"url": st.Info.Webhooks.Receiver + crmPath, "description": "CRM: keeps contacts in step",
		"eventTypes": []string{"user.invited", "user.invitation_accepted", "user.deleted"}}, 201, &crm)
	a.call("POST", base, map[string]any{"url": st.Info.Webhooks.Receiver + erpPath, "description": "ERP audit feed", "eventTypes": []string{}}, 201, &erp)
	a.call("POST", base, map[string]any{"url": "https://reports.northwind.example/portal-access", "description": "Monthly reports (on hold)",
		"eventTypes": []string{"customer.updated", "portal.updated"}}, 201, &reports)
	a.call("POST", base, map[string]any{"url": failing.URL + "/legacy-intranet", "description": "Old intranet",
		"eventTypes": []string{"portal.registered"}}, 201, &legacy)
	a.call("POST", base+"/"+erp.ID+"/rotate-secret", nil, 200, nil)
	a.call("PATCH", base+"/"+reports.ID, map[string]any{"paused": true}, 200, nil)

	// The old intranet fails: the deliveries' own code, paused after one
	// failure here.
	if _, _, err := deliverOnce(cu.ID, legacy.ID); err != nil {
		t.Fatal(err)
	}

	// Changes the CRM hears of.
	people := []string{"anna.dekker@northwind.example", "bram.hendriks@northwind.example", "chantal.vos@northwind.example"}
	for _, e := range people {
		a.invite(cu.ID, map[string]any{"email": e})
	}
	acceptByAPI(t, people[0])
	receivedAt(t, crmPath, 4)

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/webhooks")
	op.visible(webhookRow(failing.URL + "/legacy-intranet"))
	op.shoot("console-webhooks.png", true)

	op.navigate(site + "/#/c/" + cu.ID + "/webhooks/" + crm.ID)
	op.waitText("main h1", "Delivery log of")
	op.untilLogged("#deliveries tbody tr:nth-child(4)")
	op.shoot("console-webhook-deliveries.png", true)

	op.navigate(site + "/#/c/" + cu.ID + "/webhooks")
	op.click("#add-webhook")
	op.visible("#webhook-form")
	op.typeInto("#webhook-form input[name=url]", "https://hooks.northwind.example/service-desk")
	op.typeInto("#webhook-form textarea[name=description]", "Service desk tickets")
	op.click("#webhook-form [data-role=submit]")
	op.visible("#secret-dialog")
	op.shoot("console-webhook-secret.png", false)
	op.click("#secret-done")
	op.gone("#secret-dialog")

	nl := asOperator(t, "operator (Dutch)", language("nl-NL,nl"))
	nl.navigate(site + "/#/c/" + cu.ID + "/webhooks")
	nl.visible(webhookRow(failing.URL + "/legacy-intranet"))
	nl.shoot("console-webhooks-nl.png", true)
}
