import Vapor

/// A body holding one address: resend-verification and forgot-password.
struct EmailRequest: Content {
    var email: String?
}

/// The `202` of every request that may mail someone: the same words whether or not the address
/// has an account.
struct Accepted: Content {
    var status = "accepted"
    var message: String
}
