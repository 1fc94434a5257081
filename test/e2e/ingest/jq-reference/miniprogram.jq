# WeChat mini-program event → canonical event.
# {"appid","openid","unionid"?,"phone"?,"event","time" (epoch seconds),"page","data":{…},"user_info"?:{…}}
{
  type: ({ "view_goods": "product_view", "add_cart": "add_to_cart", "pay_success": "order_paid",
           "get_coupon": "coupon_claim", "share": "share", "enter": "app_open",
           "bind_phone": "bind_phone", "authorize": "authorize" }[.event] // .event),
  ts: .time,
  source: "miniprogram",
  channel: "miniprogram",
  ids: ({ openid: .openid, unionid: .unionid, phone: .phone } | with_entries(select(.value != null))),
  props: ((.data // {}) + { page: .page, appid: .appid } | with_entries(select(.value != null))),
  traits: (.user_info // {}
           | { nickname: .nickName, gender: ({ "1": "m", "2": "f" }[(.gender // 0) | tostring]),
               city: .city, province: .province }
           | with_entries(select(.value != null)))
}
