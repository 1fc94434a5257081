# Provider receipt → message_delivered / message_opened / message_clicked / message_failed.
# {"send_id","status","ts","channel","to","url"?} or an Aliyun SMS status report
# {"phone_number","send_time","report_time","success","err_code","err_msg","biz_id","out_id"}
(.out_id != null) as $aliyun
| (if $aliyun then .out_id else .send_id end) as $send_id
| (if $aliyun then "sms" else .channel end) as $channel
| (if $aliyun then .phone_number else .to end) as $to
| (if ($send_id // "") == "" then error("receipt has no send_id") else true end) as $check
| {
  type: (if $aliyun then
           (if (.success == true or .success == "true") then "message_delivered" else "message_failed" end)
         else
           ({ "delivered": "message_delivered", "opened": "message_opened",
              "clicked": "message_clicked", "failed": "message_failed",
              "bounced": "message_failed" }[.status // ""]
            // error("receipt status is none of delivered, opened, clicked, failed, bounced"))
         end),
  ts: (if $aliyun then (.report_time // .send_time) else .ts end),
  source: "receipts",
  channel: $channel,
  ids: ({ phone: (if $channel == "sms" then $to else null end),
          email: (if $channel == "email" then $to else null end),
          device: (if $channel == "push" then $to else null end) }
        | with_entries(select(.value != null))),
  props: ({ send_id: $send_id, url: .url, err_code: .err_code, err_msg: .err_msg, biz_id: .biz_id }
          | with_entries(select(.value != null)))
}
