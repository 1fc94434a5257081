# Web tracker beacon → canonical event.
# {"anonymous_id","user_id","event","sent_at","page":{…},"user":{"phone","email"},"properties":{…}}
def event_type:
  { "Page Viewed": "page_view", "Product Viewed": "product_view",
    "Product Added": "add_to_cart", "Order Completed": "order_paid",
    "Signed Up": "sign_up", "Signed In": "login", "Ad Clicked": "ad_click",
    "Coupon Claimed": "coupon_claim", "Searched": "search" }[.]
  // (ascii_downcase | gsub("[^a-z0-9]+"; "_"));
if (.event // "") == "" then error("beacon has no event name") else . end
| {
    event_id: .message_id,
    type: (.event | event_type),
    ts: .sent_at,
    source: "web",
    channel: "web",
    ids: ({ cookie: .anonymous_id, user: .user_id, phone: .user.phone, email: .user.email }
          | with_entries(select(.value != null))),
    props: ((.properties // {}) + { url: .page.url, referrer: .page.referrer }
            | with_entries(select(.value != null))),
    traits: ((.user // {}) | del(.phone, .email))
  }
| if .event_id == null then del(.event_id) else . end
